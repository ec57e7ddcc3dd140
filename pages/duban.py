"""督办: the follow-up items opened by red lights, open and closed, with their history; the unit
gives feedback, the reviewer closes (销号). A clerk sees its own unit's items only."""

from target_monitor import followup_ui, ui

f = ui.frame()
followup_ui.duban_page(f, ui.data_dir())
