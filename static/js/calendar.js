// Moving a visit on the calendar's time grid: drag it (mouse, pen or finger) to another time or
// column, or, with the keyboard, go to the visit, press M, choose with the arrow keys and press
// Enter (Escape stops). Either way the page's move form is posted as a plain form: the server
// answers with the day the visit moved to, or with the visit's page saying why it could not.
// Without this script the grid is still there and every visit links to its page, where the
// move form is.
(() => {
  "use strict";
  const cal = document.querySelector(".cal");
  const form = document.getElementById("cal-move");
  if (!cal || !form) return;
  const status = document.getElementById("cal-status");
  const hint = document.getElementById("cal-hint");
  const slot = Number(cal.dataset.slot);
  const first = Number(cal.dataset.first);
  const rowCount = Number(cal.dataset.rows);
  const tracks = Array.from(cal.querySelectorAll(".cal-track"));
  // A drag shorter than this (in CSS pixels) is a tap or a click: it opens the visit.
  const DRAG_THRESHOLD = 6;

  if (hint && cal.querySelector("[data-move]")) hint.hidden = false;

  const pad = (number) => String(number).padStart(2, "0");
  const clock = (row) => {
    const minute = first + (row - 1) * slot;
    return `${pad(Math.floor(minute / 60))}:${pad(minute % 60)}`;
  };
  const rowOf = (element) => {
    const name = Array.from(element.classList).find((one) => /^r\d+$/.test(one));
    return Number(name.slice(1));
  };
  const say = (text) => {
    status.textContent = text;
  };

  let moving = null; // {visit, track, row, span, from: {track, row}, ghost}
  let pressed = null; // a pointer down on a visit: {visit, x, y, id, grab}
  let dragging = false;
  let swallowClick = false;

  function place(track, row) {
    moving.track = track;
    moving.row = Math.max(1, Math.min(rowCount - moving.span + 1, row));
    if (moving.ghost.parentNode !== track) track.appendChild(moving.ghost);
    moving.ghost.className = `cal-ghost r${moving.row} s${moving.span}`;
    moving.ghost.textContent = clock(moving.row);
  }

  const where = () => `${moving.track.dataset.label}, ${clock(moving.row)}`;

  function begin(visit) {
    const track = visit.closest(".cal-track");
    const row = rowOf(visit);
    const ghost = document.createElement("li");
    ghost.setAttribute("aria-hidden", "true");
    moving = { visit, track, row, span: Number(visit.dataset.span) || 1, from: { track, row }, ghost };
    visit.classList.add("is-dragging");
    place(track, row);
  }

  function end() {
    if (!moving) return;
    moving.ghost.remove();
    moving.visit.classList.remove("is-dragging");
    moving = null;
  }

  function commit() {
    if (moving.track === moving.from.track && moving.row === moving.from.row) {
      end();
      say("The visit stays where it was.");
      return;
    }
    form.action = moving.visit.dataset.move;
    form.elements.starts_at.value = `${moving.track.dataset.day}T${clock(moving.row)}`;
    form.elements.clinician.value = moving.track.dataset.clinician;
    say(`Moving the visit to ${where()}.`);
    form.submit();
  }

  // --- Keyboard --------------------------------------------------------------------------------
  cal.addEventListener("keydown", (event) => {
    if (!moving) {
      const visit = event.target.closest(".cal-visit[data-move]");
      if (visit && (event.key === "m" || event.key === "M") && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        begin(visit);
        say(`Moving this visit: ${where()}. Up and down change the time, left and right the column; Enter moves it, Escape stops.`);
      }
      return;
    }
    const index = tracks.indexOf(moving.track);
    let handled = true;
    if (event.key === "ArrowUp") place(moving.track, moving.row - 1);
    else if (event.key === "ArrowDown") place(moving.track, moving.row + 1);
    else if (event.key === "ArrowLeft" && index > 0) place(tracks[index - 1], moving.row);
    else if (event.key === "ArrowRight" && index < tracks.length - 1) place(tracks[index + 1], moving.row);
    else if (event.key === "Enter") commit();
    else if (event.key === "Escape") {
      end();
      say("Move stopped.");
    } else handled = false;
    if (handled) {
      event.preventDefault();
      if (moving && event.key.startsWith("Arrow")) say(where());
    }
  });
  // Leaving the visit (Tab, a click elsewhere) stops a keyboard move.
  cal.addEventListener("focusout", (event) => {
    if (moving && !dragging && event.target.closest(".cal-visit") === moving.visit) end();
  });

  // --- Pointer: mouse, pen and touch alike -------------------------------------------------------
  function pointedAt(x, y) {
    const track = tracks.find((one) => {
      const box = one.getBoundingClientRect();
      return x >= box.left && x < box.right;
    });
    if (!track) return null;
    const box = track.getBoundingClientRect();
    const row = Math.floor((y - box.top) / (box.height / rowCount)) + 1 - pressed.grab;
    return { track, row };
  }

  cal.addEventListener("pointerdown", (event) => {
    const visit = event.target.closest(".cal-visit[data-move]");
    if (!visit || moving || event.button !== 0) return;
    const box = visit.getBoundingClientRect();
    const rowHeight = visit.closest(".cal-track").getBoundingClientRect().height / rowCount;
    pressed = { visit, x: event.clientX, y: event.clientY, id: event.pointerId, grab: Math.floor((event.clientY - box.top) / rowHeight) };
  });

  cal.addEventListener("pointermove", (event) => {
    if (!pressed || event.pointerId !== pressed.id) return;
    if (!dragging) {
      if (Math.hypot(event.clientX - pressed.x, event.clientY - pressed.y) < DRAG_THRESHOLD) return;
      dragging = true;
      pressed.visit.setPointerCapture(event.pointerId);
      begin(pressed.visit);
    }
    event.preventDefault();
    const target = pointedAt(event.clientX, event.clientY);
    if (target) place(target.track, target.row);
  });

  function release(event, drop) {
    if (!pressed || event.pointerId !== pressed.id) return;
    if (dragging) {
      swallowClick = true;
      setTimeout(() => {
        swallowClick = false;
      }, 0);
      if (drop) commit();
      else end();
    }
    dragging = false;
    pressed = null;
  }
  cal.addEventListener("pointerup", (event) => release(event, true));
  cal.addEventListener("pointercancel", (event) => release(event, false));
  // The click that ends a drag is not a click on the visit's link.
  cal.addEventListener(
    "click",
    (event) => {
      if (swallowClick) {
        swallowClick = false;
        event.preventDefault();
        event.stopPropagation();
      }
    },
    true,
  );
})();
