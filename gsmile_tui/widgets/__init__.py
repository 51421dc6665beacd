"""Self-contained widgets: each draws one view of an `Explanation` (or of a run in progress).

None calls a model or the pipeline; untrusted text (prompts, answers) is always drawn as plain
`Content`/`Text`, never parsed as markup.
"""
