"""The brochure pipeline: content/ -> load -> render -> typeset -> finish -> build/*.pdf."""
