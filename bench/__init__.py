"""`make bench`: the pipeline's costs side by side with what a team would pick instead.

Every figure is a median of several runs of a child process and a ratio against a
baseline measured in the same run, alternated, on the same machine (bench/run.py).
"""
