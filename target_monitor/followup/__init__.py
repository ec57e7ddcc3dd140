"""Follow-up of the units behind: 情况说明 (notes.py) and 督办 (duban.py), with their rules
(config.py, data/reference/followup.yaml) and their append-only files (store.py,
`<data-dir>/followup/`). No Streamlit here: the pages call followup_ui.py; docs/follow-up.md
says how it works for a person.

A snapshot copies `<data-dir>/followup/` into its own folder at build (frozen with it), so the
same functions read a snapshot's notes and items from the snapshot folder.
"""

from target_monitor.followup.config import FollowupConfig, FollowupConfigError, load_config
from target_monitor.followup.store import FOLDER, FollowupError

__all__ = ["FOLDER", "FollowupConfig", "FollowupConfigError", "FollowupError", "load_config"]
