"""The status page at `/` of the status address: the status tree as server-rendered HTML.

No JavaScript and no build step: a `<meta http-equiv="refresh">` reloads it every few seconds,
everything is escaped, and it reads the same in a text browser. `GET /?format=json` gives the
tree itself (what `latticegw status -o json` prints).
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from aiohttp import web

from controller.observe.status_tree import describe_action

REFRESH_SECONDS = 5

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#1b1b1b}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.5em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.3em 0 1em} td,th{padding:.2em .6em;text-align:left;vertical-align:top}
th{background:#f1f1f1} .ok{color:#11661a} .bad{color:#a3140e;font-weight:bold} .mono{font-family:monospace}
.route{margin-left:1.2em;border-left:3px solid #ddd;padding-left:.8em}
"""


def render_html(tree: Mapping[str, Any]) -> str:
    e = html.escape
    out = ["<!doctype html><html lang=en><head><meta charset=utf-8>",
           f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">',
           "<title>latticegw status</title>", f"<style>{STYLE}</style></head><body>",
           "<h1>latticegw: Kubernetes &rarr; VPC Lattice</h1>"]
    ctl = tree.get("controller") or {}
    rows = "".join(f"<tr><th>{e(str(k))}</th><td class=mono>{e(str(v))}</td></tr>"
                   for k, v in ctl.items() if not isinstance(v, dict))
    out.append(f'<table id="controller">{rows}</table>')
    rates = ctl.get("awsCallsPerMinute") or {}
    if rates:
        out.append('<table id="aws-calls"><tr><th>AWS operation</th><th>calls per minute</th></tr>')
        out += [f"<tr><td class=mono>{e(op)}</td><td>{e(str(n))}</td></tr>" for op, n in sorted(rates.items())]
        out.append("</table>")
    for gw in tree.get("gateways") or ():
        out.append(f'<h2 id="gateway-{e(gw["namespace"])}-{e(gw["name"])}">Gateway {e(gw["namespace"])}/'
                   f'{e(gw["name"])} {_conditions(gw["conditions"])}</h2>')
        out.append(_reconcile(gw.get("reconcile")))
        if not gw["routes"]:
            out.append("<p>No routes attached.</p>")
        for r in gw["routes"]:
            out.append(f'<div class=route id="route-{e(r["namespace"])}-{e(r["name"])}">')
            out.append(f"<h3>{e(r['kind'])} {e(r['namespace'])}/{e(r['name'])} {_conditions(r['conditions'])}</h3>")
            out.append("<table><tr><th>Lattice service</th><td class=mono>"
                       f"{e(r['service'] or '(none)')}</td></tr><tr><th>DNS name</th><td class=mono>"
                       f"{e(r['dns'] or '-')}</td></tr></table>")
            out.append(_reconcile(r.get("reconcile")))
            for listener in r["listeners"]:
                out.append(f"<p>Listener <span class=mono>{e(listener['name'])}</span> "
                           f"{e(listener['protocol'])}:{e(str(listener['port']))}</p>")
                out.append("<table><tr><th>priority</th><th>match</th><th>action</th>"
                           "<th>target group</th><th>weight</th><th>targets (health)</th></tr>")
                for rule in listener["rules"]:
                    fwd = rule["forward"] or [None]
                    for i, f in enumerate(fwd):
                        first = i == 0
                        cells = (f"<td>{e(str(rule['priority']))}</td><td class=mono>{e(rule['match'])}</td>"
                                 f"<td>{e(describe_action(rule))}</td>") if first else "<td></td><td></td><td></td>"
                        if f is None:
                            out.append(f"<tr>{cells}<td></td><td></td><td></td></tr>")
                            continue
                        targets = "<br>".join(
                            f"<span class=mono>{e(t['id'])}:{t['port']}</span> {_health(t['health'])}"
                            for t in f["targets"]) or "none"
                        out.append(f"<tr>{cells}<td class=mono>{e(f['targetGroup'])}</td>"
                                   f"<td>{e(str(f['weight']))}</td><td>{targets}</td></tr>")
                out.append("</table>")
            out.append("</div>")
    if not tree.get("gateways"):
        out.append("<p>No Gateway of this controller's class yet.</p>")
    out.append(f"<p><small>Refreshes every {REFRESH_SECONDS} s. JSON: <a href='?format=json'>?format=json</a>"
               " &middot; <a href='/debug/status'>/debug/status</a> &middot; <a href='/debug/traces'>"
               "/debug/traces</a></small></p></body></html>")
    return "\n".join(out)


def _conditions(conditions) -> str:
    if not conditions:
        return "<small>(no status yet)</small>"
    return " ".join(
        f"<span class={'ok' if c['status'] == 'True' else 'bad'} title='{html.escape(c['message'], quote=True)}'>"
        f"{html.escape(c['type'])}={html.escape(c['status'])}"
        + (f" ({html.escape(c['reason'])})" if c["status"] != "True" else "") + "</span>"
        for c in conditions)


def _reconcile(rec) -> str:
    if not rec:
        return ""
    state = html.escape(str(rec.get("state")))
    css = "ok" if rec.get("state") in ("success", "requeue_after") else "bad"
    err = f": <span class=mono>{html.escape(rec['error'])}</span>" if rec.get("error") else ""
    return f"<p>Last reconcile <span class={css}>{state}</span> at {html.escape(str(rec.get('at', '')))}{err}</p>"


def _health(status: str | None) -> str:
    if status is None:
        return "<small>(health unknown)</small>"
    return f"<span class={'ok' if status == 'HEALTHY' else 'bad'}>{html.escape(status)}</span>"


def handler(tree: Callable[[], Awaitable[Mapping[str, Any]]]):
    async def page(request: web.Request) -> web.Response:
        data = await tree()
        if request.query.get("format") == "json":
            return web.Response(body=orjson.dumps(data), content_type="application/json")
        return web.Response(text=render_html(data), content_type="text/html")
    return page
