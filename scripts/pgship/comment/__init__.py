"""The pull-request report: one sticky comment (review + round trip) and inline review comments.

- target.py  where to post: the repository, pull request and token, from the workflow's env
- body.py    the sticky comment's markdown (found again by its hidden marker), and its shrinking
- review_section.py  the review's part of it: a table per file, folded safe alternatives
- inline.py  which error findings get an inline comment: on lines the pull request changed
- inputs.py  the JSON reports of `pgship review --format json` and `pgship test --report`
- publish.py posting through pgship.integrations.github; what happened, for the CLI to say
"""
