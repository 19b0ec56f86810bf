"""Promotions: discount and bonus mechanics priced by the one checkout pipeline.

`promotions.specs` holds a promotion as the pipeline reads it (compiled from the API's JSON shape),
`promotions.pipeline` the pure checkout steps that price them.
"""
