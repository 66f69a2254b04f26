"""refmap's Streamlit app (placeholder until the map app lands)."""

import streamlit as st

st.set_page_config(page_title="refmap", layout="wide")
st.title("refmap")
st.info("The map app is being built; run `python -m geo mentions` for the mention table.")
