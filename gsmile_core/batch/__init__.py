"""Audits of whole prompt sets and fairness sets (`gsmile audit`), resumable.

One module per job:
- `reader`: the prompt file (JSONL, CSV or plain text) as `PromptItem`s, one clear line per bad
  input; `fairness`: templates with slots and groups of fillers, expanded into items;
- `results`: the audit folder: `results.jsonl` appended one whole line at a time, the manifest
  that refuses a resume with other options, what a resumed run skips;
- `runner`: the audit itself: prompts through an executor, progress, the summary at the end;
- `executors/local`: every prompt in one event loop, one `SharedLimits` for all;
  `executors/ray`: prompts as Ray tasks, the limits in one actor (PyPI `ray`, optional);
- `aggregate`: each word's importance across the prompts (streamed, memory flat);
- `report`: `report.html` and `report.md` of the audit.

Nothing is re-exported here: import from the module that does the job.
"""
