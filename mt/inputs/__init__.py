"""Reading the input: text files and folders (`files`), corpora of rows (`sources`: JSONL, Parquet, Hugging Face
datasets), and the same through Ray Data's readers (`ray_read`)."""
