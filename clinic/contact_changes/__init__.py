"""Contact details a patient asks to change through a link: held for staff to confirm
(``services``), the confirmed addresses told through the outbox (``messages``). A sub-package
rather than a core module, as it sends through the outbox, which is built on the core."""
