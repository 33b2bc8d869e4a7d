"""Arabic text: sentences with offsets (`segment`), the copy the model reads (`normalize`), numbers as values
(`numbers`), and the letters, digits, marks and prefixes they share (`arabic`). Pure Python, no model."""
