// The book's step-through viewer: walk a traced run of the loop one handle at a time.
//
// Each viewer is a `<div class="steploop-stepper">` in a chapter, holding the replay of a run
// as JSON in a `<script type="application/json">` (written by the loop's own code, see
// `src/replay/` and `chapters/generated/replay/`). This script only shows what the replay
// says, step by step: the ready deque as the tick began (the handle running highlighted), the
// timer heap, every task's state, the clock and the output so far, and the step's lines of the
// trace. It needs no network and no framework, so the book works from `file://` too; without
// JavaScript the div stays empty and the chapter's text trace tells the same story.
//
// Keys, while the viewer has the focus: ← → one step; Page Up / Page Down (or Shift + ← →)
// one tick; Home / End the first and last step.
(function () {
    'use strict';

    function make(tag, className, text) {
        const node = document.createElement(tag);
        if (className) {
            node.className = className;
        }
        if (text !== undefined) {
            node.textContent = text;
        }
        return node;
    }

    function section(title, className) {
        const box = make('section', 'sl-box ' + className);
        box.appendChild(make('h4', 'sl-title', title));
        return box;
    }

    function chip(text, className, title) {
        const node = make('span', 'sl-chip ' + (className || ''), text);
        if (title) {
            node.title = title;
        }
        return node;
    }

    const TURNS = {
        ran: 'ran earlier in this tick',
        running: 'runs now',
        skipped: 'cancelled: the tick skips it',
        dropped: 'taken off without running: its task was done',
        waiting: 'waits for its turn in this tick',
    };

    function taskState(task) {
        let text;
        switch (task.state) {
        case 'waiting':
            text = 'waiting on ' + task.on;
            break;
        case 'done':
            text = 'done: ' + task.outcome;
            break;
        case 'suspended':
            text = 'suspended (waits on a waker)';
            break;
        default:
            text = task.state;
        }
        if (task.cancelling) {
            text += ', being cancelled';
        }
        return text;
    }

    // Finds the chapter's text block of this trace (the snapshot the chapter includes), so that
    // each step can point at its lines there.
    function findTraceBlock(root, lines) {
        const wanted = lines.join('\n');
        const blocks = Array.from(document.querySelectorAll('pre > code'));
        // The nearest block before the viewer first.
        blocks.reverse();
        for (const code of blocks) {
            if (root.contains(code)) {
                continue;
            }
            const before = code.compareDocumentPosition(root) & Node.DOCUMENT_POSITION_FOLLOWING;
            if (before && code.textContent.trimEnd() === wanted) {
                return code;
            }
        }
        for (const code of blocks) {
            if (!root.contains(code) && code.textContent.trimEnd() === wanted) {
                return code;
            }
        }
        return null;
    }

    // Wraps each line of a plain code block in a span, to highlight and to link to.
    function splitLines(code, id) {
        if (code.children.length > 0) {
            return null; // highlighted markup inside: leave it alone, do without line links
        }
        const text = code.textContent.replace(/\n$/, '');
        code.textContent = '';
        return text.split('\n').map(function (line, i) {
            const span = make('span', 'sl-line', line);
            span.id = id + '-line-' + i;
            span.dataset.line = String(i);
            code.appendChild(span);
            code.appendChild(document.createTextNode('\n'));
            return span;
        });
    }

    function findPicture(file) {
        if (!file) {
            return null;
        }
        return Array.from(document.querySelectorAll('img')).find(function (img) {
            return img.getAttribute('src') === file;
        }) || null;
    }

    function percent(part, whole) {
        return (100 * part / whole).toFixed(3) + '%';
    }

    // A marker over the picture, on the run's panel: where the tick shown begins. The picture
    // is wrapped in a frame the marker is placed in, shared by every viewer of that picture.
    function pictureMarker(img, picture, name) {
        let frame = img.parentNode;
        if (!frame.classList.contains('sl-picture')) {
            frame = make('span', 'sl-picture');
            img.parentNode.insertBefore(frame, img);
            frame.appendChild(img);
        }
        const marker = make('span', 'sl-marker');
        marker.dataset.replay = name;
        marker.style.top = percent(picture.top, picture.height);
        marker.style.height = percent(picture.bottom - picture.top, picture.height);
        marker.appendChild(make('span', 'sl-marker-label'));
        frame.appendChild(marker);
        return marker;
    }

    function Stepper(root, data) {
        this.root = root;
        this.data = data;
        this.steps = data.steps;
        this.index = 0;
        // Where ticks begin: a step of another tick than the step before it, or an outside step.
        this.starts = [];
        this.steps.forEach((step, i) => {
            const before = this.steps[i - 1];
            if (!before || step.kind === 'outside' || before.kind === 'outside' ||
                before.tick !== step.tick) {
                this.starts.push(i);
            }
        });
        this.id = 'sl-' + data.name.replace(/[^A-Za-z0-9_-]/g, '-');
        this.build();
        this.show(0);
    }

    Stepper.prototype.build = function () {
        const root = this.root;
        root.tabIndex = 0;
        root.setAttribute('role', 'group');
        root.setAttribute('aria-label', 'Step through the run, handle by handle: ' +
            this.data.name + ' (keys: arrows, Page Up, Page Down, Home, End)');
        root.classList.add('sl-on');
        root.dataset.replay = this.data.name;
        root.dataset.lineIds = this.id + '-line-';

        const caption = make('div', 'sl-caption');
        caption.appendChild(make('strong', '', root.dataset.title || 'Step through this run'));
        caption.appendChild(make('span', 'sl-hint',
            ' — one handle at a time: the buttons, the slider, or ← → once you click here'));
        root.appendChild(caption);

        const bar = make('div', 'sl-bar');
        const button = (go, text, label) => {
            const b = make('button', 'sl-button', text);
            b.type = 'button';
            b.dataset.go = go;
            b.title = label;
            b.setAttribute('aria-label', label);
            b.addEventListener('click', () => this.go(go));
            bar.appendChild(b);
            return b;
        };
        this.buttons = {
            first: button('prev-tick', '« tick', 'previous tick (Page Up)'),
            prev: button('prev', '‹ step', 'previous step (←)'),
        };
        this.where = make('span', 'sl-where');
        this.where.setAttribute('aria-live', 'polite');
        bar.appendChild(this.where);
        this.buttons.next = button('next', 'step ›', 'next step (→)');
        this.buttons.last = button('next-tick', 'tick »', 'next tick (Page Down)');
        root.appendChild(bar);

        this.slider = make('input', 'sl-slider');
        this.slider.type = 'range';
        this.slider.min = '0';
        this.slider.max = String(this.steps.length - 1);
        this.slider.step = '1';
        this.slider.setAttribute('aria-label', 'step');
        this.slider.addEventListener('input', () => this.show(Number(this.slider.value)));
        root.appendChild(this.slider);

        this.clock = make('div', 'sl-clock');
        root.appendChild(this.clock);

        const grid = make('div', 'sl-grid');
        this.deque = section('Ready deque', 'sl-deque');
        this.heap = section('Timer heap, soonest first', 'sl-heap');
        this.tasks = section('Tasks', 'sl-tasks');
        this.output = section('Output so far', 'sl-output');
        [this.deque, this.heap, this.tasks, this.output].forEach((box) => {
            box.appendChild(make('div', 'sl-body'));
            grid.appendChild(box);
        });
        root.appendChild(grid);

        this.trace = section('This step in the trace', 'sl-trace');
        this.traceBody = make('pre', 'sl-trace-lines');
        this.trace.appendChild(this.traceBody);
        this.links = make('div', 'sl-links');
        this.trace.appendChild(this.links);
        root.appendChild(this.trace);

        // The chapter's own copy of the trace, and its picture, if they are on the page.
        const code = findTraceBlock(root, this.data.lines);
        this.pageLines = code ? splitLines(code, this.id) : null;
        if (this.pageLines) {
            code.classList.add('sl-linked');
            code.addEventListener('click', (event) => {
                const line = event.target.closest('.sl-line');
                if (line) {
                    this.showLine(Number(line.dataset.line));
                }
            });
        }
        this.picture = this.data.picture ? findPicture(this.data.picture.file) : null;
        this.marker = this.picture ? pictureMarker(this.picture, this.data.picture, this.data.name)
            : null;

        root.addEventListener('keydown', (event) => this.key(event));
    };

    Stepper.prototype.key = function (event) {
        if (event.altKey || event.ctrlKey || event.metaKey) {
            return;
        }
        const shift = event.shiftKey;
        const keys = {
            ArrowLeft: shift ? 'prev-tick' : 'prev',
            ArrowRight: shift ? 'next-tick' : 'next',
            PageUp: 'prev-tick',
            PageDown: 'next-tick',
            Home: 'first',
            End: 'last',
        };
        const go = keys[event.key];
        if (!go) {
            return;
        }
        // Handled here, not by the book (whose arrows turn the page) nor by the slider.
        event.preventDefault();
        event.stopPropagation();
        this.go(go);
    };

    Stepper.prototype.go = function (where) {
        const i = this.index;
        let to = i;
        switch (where) {
        case 'prev':
            to = i - 1;
            break;
        case 'next':
            to = i + 1;
            break;
        case 'first':
            to = 0;
            break;
        case 'last':
            to = this.steps.length - 1;
            break;
        case 'next-tick':
            to = this.starts.find((s) => s > i);
            if (to === undefined) {
                to = this.steps.length - 1;
            }
            break;
        case 'prev-tick': {
            const earlier = this.starts.filter((s) => s < i);
            to = earlier.length ? earlier[earlier.length - 1] : 0;
            break;
        }
        }
        this.show(Math.max(0, Math.min(this.steps.length - 1, to)));
    };

    // Goes to the step that covers line `line` of the trace.
    Stepper.prototype.showLine = function (line) {
        const i = this.steps.findIndex((s) => s.lines[0] <= line && line <= s.lines[1]);
        if (i >= 0) {
            this.show(i);
            this.root.focus({ preventScroll: true });
        }
    };

    Stepper.prototype.describe = function (step) {
        const ready = step.ready.length;
        switch (step.kind) {
        case 'handle':
            return 'tick ' + step.tick + ' · handle ' + (step.running + 1) + ' of ' + ready;
        case 'empty-tick':
            return 'tick ' + step.tick + ' · nothing to run';
        default:
            return step.tick === 0 ? 'before the loop runs'
                : 'outside the loop, after tick ' + step.tick;
        }
    };

    Stepper.prototype.show = function (index) {
        this.index = index;
        const step = this.steps[index];
        const before = this.steps[index - 1];
        this.root.dataset.step = String(index);
        this.slider.value = String(index);
        this.where.textContent = this.describe(step) + '  (step ' + (index + 1) + ' of ' +
            this.steps.length + ')';
        this.buttons.first.disabled = this.buttons.prev.disabled = index === 0;
        this.buttons.next.disabled = this.buttons.last.disabled = index === this.steps.length - 1;

        this.clock.textContent = '';
        this.clock.appendChild(make('span', 'sl-clock-label', 'loop time '));
        const time = make('span', 'sl-time', 't=' + step.time);
        time.title = 'the loop\'s clock (virtual: it moves only when the loop waits, or when ' +
            'a handle keeps the thread busy)';
        this.clock.appendChild(time);
        if (step.waited) {
            this.clock.appendChild(make('span', 'sl-waited',
                ' after a wait of ' + step.waited + ' s: nothing was ready, so the clock ' +
                'jumped to the next timer'));
        }

        this.showDeque(step);
        this.showHeap(step);
        this.showTasks(step);
        this.showOutput(step, before ? before.printed : 0);
        this.showTrace(step);
    };

    Stepper.prototype.showDeque = function (step) {
        const body = this.deque.querySelector('.sl-body');
        body.textContent = '';
        const title = this.deque.querySelector('.sl-title');
        if (step.kind === 'outside') {
            title.textContent = 'Ready deque';
            body.appendChild(this.chips(step.later.map((label) => chip(label, 'sl-later')),
                'sl-now'));
            return;
        }
        title.textContent = 'Ready deque as tick ' + step.tick + ' began';
        const chips = step.ready.map((entry) => {
            const node = chip(entry.label, 'sl-' + entry.turn, TURNS[entry.turn]);
            node.dataset.turn = entry.turn;
            if (entry.due) {
                node.classList.add('sl-due');
                node.title += '; came due from the timer heap as the tick began';
                node.insertBefore(make('span', 'sl-mark', 'due'), node.firstChild);
            }
            if (entry.turn === 'running') {
                node.setAttribute('aria-current', 'step');
            }
            return node;
        });
        body.appendChild(this.chips(chips, 'sl-tick'));
        body.appendChild(make('div', 'sl-note', step.later.length
            ? 'scheduled since, for tick ' + (step.tick + 1) + ':'
            : 'nothing scheduled since, for tick ' + (step.tick + 1)));
        if (step.later.length) {
            body.appendChild(this.chips(step.later.map((label) => chip(label, 'sl-later')),
                'sl-next'));
        }
    };

    Stepper.prototype.chips = function (chips, className) {
        const list = make('div', 'sl-chips ' + className);
        if (!chips.length) {
            list.appendChild(make('span', 'sl-empty', '(empty)'));
        }
        chips.forEach((c) => list.appendChild(c));
        return list;
    };

    Stepper.prototype.showHeap = function (step) {
        const body = this.heap.querySelector('.sl-body');
        body.textContent = '';
        if (!step.timers.length) {
            body.appendChild(make('span', 'sl-empty', '(empty)'));
        } else {
            const list = make('ol', 'sl-timers');
            step.timers.forEach((timer) => {
                const item = make('li', 'sl-timer' + (timer.cancelled ? ' sl-cancelled' : ''));
                item.appendChild(make('span', 'sl-when', 't=' + timer.when));
                item.appendChild(make('span', 'sl-label', timer.label));
                let note = timer.set_by ? 'set by ' + timer.set_by : 'set outside the loop';
                if (timer.cancelled) {
                    note = 'cancelled, ' + note;
                }
                item.appendChild(make('span', 'sl-by', note));
                list.appendChild(item);
            });
            body.appendChild(list);
        }
        const due = step.ready.filter((entry) => entry.due).map((entry) => entry.label);
        if (due.length) {
            body.appendChild(make('div', 'sl-note sl-came-due',
                'came due as tick ' + step.tick + ' began: ' + due.join(', ')));
        }
    };

    Stepper.prototype.showTasks = function (step) {
        this.tasks.hidden = this.data.tasks.length === 0;
        const body = this.tasks.querySelector('.sl-body');
        body.textContent = '';
        if (!step.tasks.length) {
            body.appendChild(make('span', 'sl-empty', '(none yet)'));
            return;
        }
        const table = make('table', 'sl-task-table');
        step.tasks.forEach((task, i) => {
            const info = this.data.tasks[i];
            const row = make('tr', 'sl-task sl-' + task.state + (task.ran ? ' sl-ran-now' : ''));
            const who = make('td', 'sl-who');
            who.appendChild(make('span', 'sl-name', info.name));
            who.appendChild(make('span', 'sl-coroutine', info.coroutine));
            row.appendChild(who);
            const state = make('td', 'sl-state', taskState(task));
            if (task.ran) {
                state.title = 'its step ran at this step';
            }
            row.appendChild(state);
            table.appendChild(row);
        });
        body.appendChild(table);
    };

    Stepper.prototype.showOutput = function (step, printedBefore) {
        this.output.hidden = this.data.output.length === 0;
        const body = this.output.querySelector('.sl-body');
        body.textContent = '';
        if (!step.printed) {
            body.appendChild(make('span', 'sl-empty', '(nothing printed yet)'));
            return;
        }
        const pre = make('pre', 'sl-printed');
        this.data.output.slice(0, step.printed).forEach((line, i) => {
            pre.appendChild(make('span', i >= printedBefore ? 'sl-new' : '', line));
            pre.appendChild(document.createTextNode('\n'));
        });
        body.appendChild(pre);
    };

    Stepper.prototype.showTrace = function (step) {
        const [first, last] = step.lines;
        this.traceBody.textContent = '';
        for (let i = first; i <= last; i++) {
            const line = make('span', 'sl-line' + (i === step.line ? ' sl-focus' : ''),
                this.data.lines[i]);
            this.traceBody.appendChild(line);
            this.traceBody.appendChild(document.createTextNode('\n'));
        }
        this.links.textContent = '';
        if (this.pageLines) {
            this.pageLines.forEach((span, i) => {
                span.classList.toggle('sl-in-step', first <= i && i <= last);
                span.classList.toggle('sl-focus', i === step.line);
            });
            const link = make('a', 'sl-to-trace', 'line ' + (step.line + 1) +
                ' of the trace above');
            link.href = '#' + this.pageLines[step.line].id;
            link.addEventListener('click', (event) => {
                event.preventDefault();
                this.pageLines[step.line].scrollIntoView({ block: 'center' });
            });
            this.links.appendChild(link);
        }
        if (this.picture) {
            const mark = this.data.picture.ticks.find((tick) => tick[0] === step.tick);
            const shown = step.kind !== 'outside' && mark !== undefined;
            this.marker.hidden = !shown;
            if (shown) {
                this.marker.style.left = percent(mark[1], this.data.picture.width);
                this.marker.firstChild.textContent = 'tick ' + step.tick;
            }
            const link = make('a', 'sl-to-picture', shown ? 'tick ' + step.tick +
                ' on the timeline' : 'the timeline picture');
            link.href = this.picture.closest('a') ? this.picture.closest('a').href
                : this.picture.src;
            link.addEventListener('click', (event) => {
                event.preventDefault();
                this.picture.scrollIntoView({ block: 'center' });
                this.marker.classList.remove('sl-flash');
                void this.marker.offsetWidth; // restart the animation
                this.marker.classList.add('sl-flash');
            });
            if (this.links.children.length) {
                this.links.appendChild(document.createTextNode(' · '));
            }
            this.links.appendChild(link);
        }
    };

    function setup() {
        document.querySelectorAll('.steploop-stepper').forEach(function (root) {
            const script = root.querySelector('script[type="application/json"]');
            if (!script || root.classList.contains('sl-on')) {
                return;
            }
            let data;
            try {
                data = JSON.parse(script.textContent);
            } catch (error) {
                root.appendChild(make('p', 'sl-error',
                    'This step-through viewer could not read its data: ' + error.message));
                return;
            }
            root.stepper = new Stepper(root, data);
        });
    }

    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', setup);
    } else {
        setup();
    }
})();
