package htmlreport

import "html/template"

// pages are the report templates. One stylesheet, inline: a report is a
// single file a CI artifact store or a mail can carry, and it must open
// offline, so nothing is fetched (no fonts, no scripts, no images).
var pages = template.Must(template.New("pages").Parse(pageCSS + pageRun + pageSuite + pageCompare))

const pageCSS = `{{define "head"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;color:#1b1b1b;margin:0 auto;max-width:1100px;padding:16px 24px}
h1{font-size:22px;margin:8px 0 12px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;margin:6px 0 12px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d0d0d0;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
td.num{text-align:right;white-space:nowrap}
.banner{padding:12px 16px;border-radius:6px;font-size:18px;font-weight:600;margin:8px 0 16px}
.banner small{display:block;font-size:14px;font-weight:400;margin-top:4px}
.banner.pass{background:#e3f4e5;color:#1b5e20}.banner.fail{background:#fde7e7;color:#b71c1c}.banner.error{background:#fff3d6;color:#7a4b00}
table.tint tr.pass td{background:#f1faf2}table.tint tr.fail td{background:#fdf0f0}
tr.pass td.verdict{background:#e3f4e5;color:#1b5e20;font-weight:600}tr.fail td.verdict{background:#fde7e7;color:#b71c1c;font-weight:600}
tr.error td.verdict{background:#fff3d6;color:#7a4b00;font-weight:600}
td.pass{background:#e3f4e5}td.fail{background:#fde7e7}td.bad{color:#b71c1c;font-weight:600}
dl.kv{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:6px 0}dl.kv dt{color:#555}dl.kv dd{margin:0}
.keys{display:flex;flex-wrap:wrap;gap:8px;margin:6px 0 12px}.keys div{border:1px solid #ddd;border-radius:4px;padding:4px 8px}
.keys b{display:block;font-size:16px}.keys span{color:#555;font-size:12px}
figure{margin:8px 0 16px}svg{max-width:100%;height:auto}
.note{color:#555}.problems{background:#fff3d6;padding:8px 12px;border-radius:4px}
footer{margin-top:32px;color:#777;font-size:12px}
</style></head><body>{{end}}
{{define "foot"}}<footer>nvmf-chaos report. Plots are downsampled (each point keeps its bucket's minimum and maximum); the full record is in results.json.</footer>
</body></html>
{{end}}
{{define "verdict"}}<div class="banner {{.Class}}">{{.Text}}<small>{{.Detail}}</small></div>{{end}}
{{define "problems"}}{{if .}}<div class="problems"><b>Could not show everything:</b><ul>{{range .}}<li>{{.}}</li>{{end}}</ul></div>{{end}}{{end}}
`

const pageRun = `{{define "run"}}{{template "head" .Title}}
<h1>{{.Scenario}}</h1>
{{template "verdict" .Verdict}}
{{template "problems" .Problems}}
<h2 id="slos">SLOs</h2>
{{if .SLOs}}<table class="tint"><tr><th>metric</th><th>window</th><th>statistic</th><th>measured</th><th>threshold</th><th>result</th><th>detail</th></tr>
{{range .SLOs}}<tr class="{{if .Pass}}pass{{else}}fail{{end}}"><td>{{.Metric}}</td><td>{{.Window}}</td><td>{{.Of}}</td><td class="num">{{.Measured}}</td><td class="num">{{.Threshold}}</td><td class="verdict">{{if .Pass}}pass{{else}}FAIL{{end}}</td><td>{{.Detail}}{{if .Samples}} <span class="note">({{.Samples}})</span>{{end}}</td></tr>
{{end}}</table>{{else}}<p class="note">No SLO was judged.</p>{{end}}
{{if .Key}}<h2>Key metrics</h2><div class="keys">{{range .Key}}<div><b>{{.Value}}</b><span>{{.Key}}</span></div>{{end}}</div>{{end}}
<h2>Environment</h2>
<dl class="kv">{{range .Env}}<dt>{{.Key}}</dt><dd>{{.Value}}</dd>{{end}}</dl>
<h2>Faults</h2>
{{if .Faults}}<table><tr><th>#</th><th>kind</th><th>node</th><th>inject</th><th>recover</th><th>failover time</th><th>I/O pause</th><th>recovery time</th><th>errors (fault window)</th><th>max latency (fault window)</th><th>worst workload</th></tr>
{{range .Faults}}<tr><td class="num">{{.ID}}</td><td>{{.Kind}}</td><td>{{.Node}}</td><td class="num">{{.Inject}}</td><td class="num">{{.Recover}}</td><td class="num{{if .Bad}} bad{{end}}">{{.Failover}}</td><td class="num{{if .Bad}} bad{{end}}">{{.Pause}}</td><td class="num{{if .Bad}} bad{{end}}">{{.Recovery}}</td><td class="num">{{.Errors}}</td><td class="num">{{.MaxLt}}</td><td>{{.Workload}}{{if .Err}} <span class="bad">injector error: {{.Err}}</span>{{end}}</td></tr>
{{end}}</table>{{else}}<p class="note">No fault was injected.</p>{{end}}
{{range .Workloads}}<h2>Workload {{.Name}}{{if .Volume}} <span class="note">on {{.Volume}}</span>{{end}}</h2>
{{range .Figures}}<figure>{{.}}</figure>{{end}}{{end}}
{{if .Nines}}<h2>Latency percentiles</h2><p class="note">Baseline, every fault window and every recovery window, all workloads merged; from the recorded latency histograms.</p><figure>{{.Nines}}</figure>{{end}}
<h2>Verification</h2>
<table><tr><th>workload</th><th>blocks checked</th><th>lost writes</th><th>stale reads</th><th>corrupt blocks</th><th>first offending blocks</th></tr>
{{range .Verify}}{{if .Verified}}<tr><td>{{.Workload}}</td><td class="num">{{.Blocks}}</td><td class="num{{if .Bad}} bad{{end}}">{{.Lost}}</td><td class="num{{if .Bad}} bad{{end}}">{{.Stale}}</td><td class="num{{if .Bad}} bad{{end}}">{{.Corrupt}}</td><td>{{.FirstBad}}</td></tr>
{{else}}<tr><td>{{.Workload}}</td><td colspan="5" class="note">not verified</td></tr>{{end}}{{end}}</table>
{{if .Notes}}<h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{template "foot"}}{{end}}
`
