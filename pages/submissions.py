"""报送审核: submissions wait for the district's review (target_monitor/submissions_ui.py)."""

from target_monitor import submissions_ui, ui

submissions_ui.render(ui.current_actor(), ui.data_dir(), ui.current_lang())
