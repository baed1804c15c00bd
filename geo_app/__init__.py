"""Shuangyang District development-layout map: the pure core.

Nothing in this package imports Streamlit; the app and the ``geo-app`` CLI compose it.
"""

__version__ = "0.1.0"
