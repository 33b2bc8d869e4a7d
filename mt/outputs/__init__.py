"""What a run writes: its folder and lock (`rundir`), the shards and their assembly (`shards`), the file formats
(`formats`, `parquet`), the manifest (`manifest`) and the HTML reports (`report`)."""
