"""The extract stage: one page's main text and metadata, boilerplate cleaning, plain-text
articles and the aggregator-page filter."""
