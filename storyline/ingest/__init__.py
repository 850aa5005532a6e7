"""The ingest stage: feed entries and local files turned into stored articles (identity,
dedup, insertion), and the crawl that brings them in."""
