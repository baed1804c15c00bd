"""Pieces of the Streamlit page kept out of streamlit_app.py; the core stays in geo_app."""
