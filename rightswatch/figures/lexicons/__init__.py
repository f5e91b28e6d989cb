"""Lexicon data (TOML) for rightswatch.figures; a package so the files ship in wheels."""
