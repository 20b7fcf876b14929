//! The verdict drawn from the facts, by offset ranges: the message handlers' regions (and the functions they
//! call), the functions that run only when the text is ding, what guards each `dong` send.

use std::collections::{HashMap, HashSet};

use oxc_span::Span;

use super::super::location::LineIndex;
use super::super::{Finding, Judgement};
use super::consts::CONST_DEPTH;
use super::facts::{Construction, Facts, Guard, Listener, MethodCall, NamedCall};
use super::package_names::{is_provider_package, is_relative, is_wechaty_module, package_of};
use super::visitor::TEXT_SEND;

impl Facts {
    /// Offset ranges of the message handlers and of the functions they call, transitively.
    fn handler_regions(&self) -> Vec<Span> {
        let mut regions: Vec<Span> = Vec::new();
        let mut seen: HashSet<(u32, u32)> = HashSet::new();
        let mut add = |span: Span, regions: &mut Vec<Span>| {
            if seen.insert((span.start, span.end)) {
                regions.push(span);
                true
            } else {
                false
            }
        };
        for (_, listener) in &self.listeners {
            match listener {
                Listener::Inline(span) => {
                    add(*span, &mut regions);
                }
                Listener::Named(name) => {
                    if let Some(span) = self.functions.get(name) {
                        add(*span, &mut regions);
                    }
                }
                Listener::Opaque => {}
            }
        }
        loop {
            let mut grew = false;
            for NamedCall { name, offset, .. } in &self.named_calls {
                if within(&regions, *offset)
                    && let Some(span) = self.functions.get(name)
                {
                    grew |= add(*span, &mut regions);
                }
            }
            if !grew {
                return regions;
            }
        }
    }

    fn mentions_dong(&self, range: (u32, u32)) -> bool {
        !self.dong_sources(range).is_empty()
    }

    /// The `dong` literals an expression range carries: those written in it, and those of the variables it names
    /// (what they are bound or assigned to, followed a few names deep), with their guards.
    fn dong_sources(&self, range: (u32, u32)) -> Vec<(u32, Guard)> {
        let mut sources = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut pending = vec![(range, 0usize)];
        while let Some(((start, end), depth)) = pending.pop() {
            let first = self.dong_literals.partition_point(|&(offset, _)| offset < start);
            sources.extend(self.dong_literals[first..].iter().take_while(|(offset, _)| *offset < end).copied());
            if depth >= CONST_DEPTH {
                continue;
            }
            let first = self.identifiers.partition_point(|(offset, _)| *offset < start);
            for (_, name) in self.identifiers[first..].iter().take_while(|(offset, _)| *offset < end) {
                if seen.insert(name.as_str())
                    && let Some(values) = self.variables.get(name)
                {
                    pending.extend(values.iter().map(|value| (*value, depth + 1)));
                }
            }
        }
        sources
    }

    /// The functions (by span) that run only in the ding branch: called from the handlers, and only from ding
    /// branches (or from other such functions); each with the guard of its first call.
    fn guarded_functions(&self, regions: &[Span]) -> HashMap<(u32, u32), Guard> {
        let handlers: HashSet<(u32, u32)> = self
            .listeners
            .iter()
            .filter_map(|(_, listener)| match listener {
                Listener::Inline(span) => Some(*span),
                Listener::Named(name) => self.functions.get(name).copied(),
                Listener::Opaque => None,
            })
            .map(|span| (span.start, span.end))
            .collect();
        let mut guarded: HashMap<(u32, u32), Guard> = HashMap::new();
        loop {
            let mut grew = false;
            for (name, span) in &self.functions {
                let key = (span.start, span.end);
                if handlers.contains(&key) || guarded.contains_key(&key) {
                    continue;
                }
                let guards: Vec<Guard> = self
                    .named_calls
                    .iter()
                    .filter(|call| &call.name == name && within(regions, call.offset))
                    .map(|call| effective_guard(&guarded, call.offset, call.guard))
                    .collect();
                if let Some(first) = guards.first()
                    && guards.iter().all(|guard| guard.is_ding())
                {
                    guarded.insert(key, *first);
                    grew = true;
                }
            }
            if !grew {
                return guarded;
            }
        }
    }

    pub(super) fn verdict(
        mut self,
        file: &str,
        text: &str,
        index: &LineIndex<'_>,
        own_name: Option<&str>,
    ) -> Judgement {
        self.bind_parameters();
        self.dong_literals.sort_unstable_by_key(|(offset, _)| *offset);
        self.identifiers.sort_unstable_by_key(|(offset, _)| *offset);
        let at = |offset: u32| index.locate(offset as usize);
        let mut violations = Vec::new();
        let mut missing = Vec::new();

        for used in self.modules.iter().filter(|used| !used.type_only && is_wechaty_module(&used.module)) {
            let (verb, how) = used.how.describe();
            violations.push(Finding::at(
                at(used.offset),
                format!(
                    "it {verb} `{}`{how}: the example must run the provider's puppet through the puppet API only, \
                     without Wechaty",
                    used.module
                ),
            ));
        }

        let is_own = |module: &str| {
            is_relative(module) || own_name.is_some_and(|name| !name.is_empty() && package_of(module) == name)
        };
        let mut own = None;
        for Construction { offset, callee, binding } in &self.news {
            let Some(module) = self.bindings.get(binding) else { continue };
            let name = text.get(callee.start as usize..callee.end as usize).unwrap_or(binding);
            if is_own(module) {
                own.get_or_insert((*offset, name.to_string()));
            } else if is_provider_package(package_of(module)) {
                violations.push(Finding::at(
                    at(*offset),
                    format!(
                        "it constructs `{name}` from `{module}`, another provider's puppet: the example must run the \
                         provider's own puppet"
                    ),
                ));
            }
        }

        for say in &self.says {
            if self.mentions_dong(say.arguments) {
                violations.push(Finding::at(
                    at(say.offset),
                    format!(
                        "it answers `dong` with `.{}(…)`, the Wechaty API: the example must answer through the \
                         puppet API (`puppet.messageSendText(…)`)",
                        say.method
                    ),
                ));
            }
        }

        let own_source = match own_name {
            Some(name) if !name.is_empty() => {
                format!("its own source (a relative path such as `../src/mod.js`) or `{name}`")
            }
            _ => "its own source (a relative path such as `../src/mod.js`)".to_string(),
        };
        if own.is_none() {
            missing.push(Finding::general(format!(
                "{file}: it never constructs the provider's own puppet: looked for `new X(…)` with X imported or \
                 required from {own_source}; not found"
            )));
        }

        let regions = self.handler_regions();
        let inside = |offset: u32| within(&regions, offset);
        let ding = self.ding_tests.iter().find(|(offset, _)| inside(*offset));
        if self.listeners.is_empty() {
            missing.push(Finding::general(format!(
                "{file}: no message handler: looked for `<puppet>.on('message', …)` (or `.once`/`.addListener`) with \
                 a function or the name of one; not found"
            )));
        } else if ding.is_none() {
            missing.push(Finding::general(format!(
                "{file}: no message handler (`puppet.on('message', …)`) recognises `ding`: looked for === / == \
                 comparisons, regex tests, switch cases, includes/startsWith; not found"
            )));
            for (offset, form) in self.ding_tests.iter().filter(|(offset, _)| !inside(*offset)) {
                missing.push(Finding::at(
                    at(*offset),
                    format!("{form} for `ding` is here, outside every message handler"),
                ));
            }
        }

        // Only a text answers: a file, URL, contact, mini-program, location or post whose name, title or
        // arguments mention `dong` sends no text `dong` (puppet-official-account sends a picture named ding-dong.jpg).
        let answers = |send: &&MethodCall| send.method == TEXT_SEND && self.mentions_dong(send.arguments);
        let dong_sends: Vec<&MethodCall> =
            self.sends.iter().filter(|send| inside(send.offset) && answers(send)).collect();
        let guarded_functions = self.guarded_functions(&regions);
        let mut dong = None;
        for send in &dong_sends {
            match self.send_guard(send, &guarded_functions) {
                Guard::Ding(offset, form) => {
                    dong.get_or_insert((*send, (offset, form)));
                }
                // Without any `ding` test in the handlers, the finding above says enough.
                _ if ding.is_none() => {}
                Guard::NotDing(offset, form) => violations.push(Finding::at(
                    at(send.offset),
                    format!(
                        "`{}` answers `dong` here in the branch taken when the text is not `ding` ({form} at {}): \
                         the example must answer `dong` to `ding`",
                        send.method,
                        at(offset)
                    ),
                )),
                Guard::None => violations.push(Finding::at(
                    at(send.offset),
                    format!(
                        "`{}` answers `dong` here whatever the message says: no `ding` test guards it (the answer \
                         must be sent in the branch taken when the text is `ding`, e.g. inside `if (text === \
                         'ding')`, after `if (text !== 'ding') return`, or under `case 'ding':`)",
                        send.method
                    ),
                )),
            }
        }
        if dong_sends.is_empty() {
            missing.push(Finding::general(format!(
                "{file}: it never answers `dong` through the puppet API: looked for `<puppet>.messageSendText(…, \
                 'dong')`, a text `dong`, in a message handler (a file, URL, contact or mini-program whose name or \
                 title mentions `dong` is no answer); not found"
            )));
            for send in self.sends.iter().filter(|send| !inside(send.offset) && answers(send)) {
                missing.push(Finding::at(
                    at(send.offset),
                    format!("`{}` answers `dong` here, outside every message handler", send.method),
                ));
            }
            for (send, (test, form)) in self.dead_sends.iter().filter(|(send, _)| {
                send.method == TEXT_SEND
                    && self.dead_dongs.iter().any(|dong| send.arguments.0 <= *dong && *dong < send.arguments.1)
            }) {
                missing.push(Finding::at(
                    at(send.offset),
                    format!(
                        "`{}` answers `dong` here in a branch that never runs ({form} at {}): dead code answers \
                         nothing",
                        send.method,
                        at(*test)
                    ),
                ));
            }
        }

        if violations.is_empty() && missing.is_empty() {
            let (Some((own_at, own_name)), Some((dong, (ding_at, form)))) = (own, dong) else {
                return Judgement::Fail { findings: vec![Finding::general(format!("{file}: not judged"))] };
            };
            return Judgement::Pass {
                note: Some(format!(
                    "constructs `{own_name}` at {}, recognises `ding` with {form} at {}, answers `dong` with `{}` at {}",
                    at(own_at),
                    at(ding_at),
                    dong.method,
                    at(dong.offset)
                )),
            };
        }
        violations.extend(missing);
        Judgement::Fail { findings: violations }
    }

    /// A helper's parameters stand for what its calls pass: `reply(id, 'dong')` binds `text` of `function
    /// reply(id, text)` to `'dong'`, so a send of `text` in the helper carries the `dong` (and its guard) of the
    /// call. Names are not scoped, as for every variable here.
    fn bind_parameters(&mut self) {
        for call in &self.named_calls {
            let Some(parameters) = self.parameters.get(&call.name) else { continue };
            for (parameter, argument) in parameters.iter().zip(&call.arguments) {
                if let Some(parameter) = parameter {
                    self.variables.entry(parameter.clone()).or_default().push(*argument);
                }
            }
        }
    }

    /// What guards a `dong` send: its own place (or the function it is in, see [`Facts::guarded_functions`]), or
    /// else the `dong` it carries, when every `dong` literal it carries is in a ding branch (`const reply = text
    /// === 'ding' ? 'dong' : undefined`). A not-ding branch anywhere on the way is reported as such.
    fn send_guard(&self, send: &MethodCall, functions: &HashMap<(u32, u32), Guard>) -> Guard {
        let own = effective_guard(functions, send.offset, send.guard);
        if own.is_ding() {
            return own;
        }
        let carried: Vec<Guard> = self
            .dong_sources(send.arguments)
            .into_iter()
            .map(|(offset, guard)| effective_guard(functions, offset, guard))
            .collect();
        if let Some(first) = carried.first()
            && carried.iter().all(|guard| guard.is_ding())
        {
            return *first;
        }
        if let Guard::NotDing(..) = own {
            return own;
        }
        carried.into_iter().find(|guard| matches!(guard, Guard::NotDing(..))).unwrap_or(Guard::None)
    }
}

/// The guard of `offset`: its own (`lexical`) if it is a ding branch, else that of a guarded function it is in,
/// else its own.
fn effective_guard(functions: &HashMap<(u32, u32), Guard>, offset: u32, lexical: Guard) -> Guard {
    if lexical.is_ding() {
        return lexical;
    }
    functions
        .iter()
        .filter(|((start, end), _)| *start <= offset && offset < *end)
        .map(|(_, guard)| *guard)
        .min_by_key(|guard| match guard {
            Guard::Ding(offset, _) | Guard::NotDing(offset, _) => *offset,
            Guard::None => u32::MAX,
        })
        .unwrap_or(lexical)
}

fn within(regions: &[Span], offset: u32) -> bool {
    regions.iter().any(|span| span.start <= offset && offset < span.end)
}
