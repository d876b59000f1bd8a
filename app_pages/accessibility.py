"""The accessibility statement public-sector websites must publish: how accessible the platform
is, what is known not to be, and how to report a problem. Open to everyone."""

import os

import streamlit as st

st.title("Accessibility statement")
contact = os.environ.get("OCF_ACCESSIBILITY_CONTACT", "").strip()
st.markdown(
    """
This statement applies to the Organisational Competency Framework (OCF) assessment platform:
the panel survey for service users and carers, the pages for trust staff and regulators, and
the public summary. We want as many people as possible to be able to use it. You should be able
to:

- change colours, contrast and fonts with your browser or device;
- zoom in up to 400% without the text spilling off the screen;
- use every page with a keyboard alone, and with a screen reader;
- answer the panel survey on a phone, in English, Easy Read or another language, or on a
  large-print paper form.
"""
)
st.header("How accessible the platform is", anchor=False)
st.markdown(
    """
The platform is **partially compliant** with the Web Content Accessibility Guidelines (WCAG)
version 2.2 AA standard, because of the known issues below.

Every change is tested in a real browser before it is released: automated checks (axe, for
WCAG 2.0, 2.1 and 2.2 A and AA) on the sign-in, panel survey, results, comparison, facilitation
and administration pages, in strict mode (no problem allowed at all) on the panel survey in
each language, the panel comments and evidence pages; the panel survey and sign-in at a phone's
width; and keyboard journeys (Tab order, focus moving to each new part of the survey, a skip
link to the main content).
"""
)
st.header("Known issues", anchor=False)
st.markdown(
    """
- **Translations are machine drafts.** The Polish, Arabic, Portuguese, Somali, Urdu, Bengali,
  Romanian and Panjabi versions of the OCF panel survey, and the Easy Read version, are marked
  draft until a native speaker from the community has reviewed them. Some wording may be
  unclear. The PCREF and system panel surveys are in the same languages, drafts too.
- **Fonts for Bengali, Panjabi and Urdu.** The platform uses the fonts of your device. Some
  devices do not have a good font for Bengali or Gurmukhi script or for Urdu in Nastaliq
  style, and show those languages in a plainer script.
- **Charts.** Charts have a text description and the same figures in a table below them; the
  charts themselves are not readable by a screen reader.
- **Downloads.** The board report is an HTML file that prints on A4; spreadsheets are CSV and
  Excel files. They have headings and tables, but have not been tested with every screen reader.
"""
)
st.header("Reporting a problem, or asking for another format", anchor=False)
st.markdown(
    (
        f"Contact **{contact}**."
        if contact
        else "Tell your panel facilitator, or the trust's equality lead, who will pass it on to "
        "the platform's administrator."
    )
    + " Say which page, what you were trying to do, and what happened. We aim to reply "
    "within 5 working days. Panel members can always answer on paper instead, in large print "
    "or Easy Read."
)
st.header("Enforcement procedure", anchor=False)
st.markdown(
    "The Equality and Human Rights Commission (EHRC) is responsible for enforcing the Public "
    "Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018. "
    "If you are not happy with how we respond to your complaint, contact the Equality Advisory "
    "and Support Service (EASS)."
)
st.caption(
    "This statement was prepared on 6 Dec 2026, from the platform's own automated and keyboard "
    "tests (docs/accessibility.md)."
)
