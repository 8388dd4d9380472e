"""The migsim dashboard: a Solara app with a what-if, a workshop and a research page.

Start it with ``migsim dashboard``; ``migsim assets`` first fills the
front-end asset cache so that the pages load without a CDN.
"""
