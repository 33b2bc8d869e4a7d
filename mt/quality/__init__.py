"""How good a pair is: reference-free checks and the combined quality (`checks`), word associations learnt from a
corpus (`lexicon`), scores against an English reference (`reference`)."""
