"""Where an audit's prompts run: `local` (one event loop, one process) or `ray` (tasks on a Ray
cluster). Both take the prompts still to do and hand each finished record to `deliver`; both keep
one concurrency limit, one rate limit and one budget for the whole set; both run
`batch.item.explain_item`, so they write the same line for the same prompt."""
