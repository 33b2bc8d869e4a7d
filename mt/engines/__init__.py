"""The engines that schedule the stages of `mt.pipeline` over an input: in this process (`local`) or as a Ray Data
pipeline (`ray`). An engine schedules; it never re-implements a stage."""
