"""Synthetic smoke benchmarks built from real photos that ship inside Python packages.

Pure Python (NumPy + Pillow): nothing here imports Django, so generators run in organizer
scripts, CI and the trusted scoring worker alike. Every sample is labelled synthetic.
"""
