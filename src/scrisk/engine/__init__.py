"""The DuckDB engine: the flow store, the indicator declarations and their compiler, the input cache."""
