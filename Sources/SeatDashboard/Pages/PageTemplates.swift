import Mustache

/// The dashboard's pages as Mustache templates. Compiled into the binary rather than read
/// from files: nothing to install beside seatd, nothing fetched from elsewhere.
/// `{{{...}}}` is used only for markup the dashboard made itself (charts, the page body).
enum PageTemplates {
    static func library() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for (name, text) in [("layout", layout), ("signin", signIn), ("overview", overview), ("license", license), ("reports", reports), ("message", message)] {
            try library.register(text, named: name)
        }
        return library
    }

    static let layout = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · seatd</title><link rel="stylesheet" href="/static/dashboard.css"></head>
        <body>
        {{#user}}<header><nav><a href="/">Licenses</a><a href="/reports">Reports</a></nav>
        <span class="who" id="signed-in-as">{{label}} ({{role}}{{#tenant}}, tenant {{tenant}}{{/tenant}})</span>
        <form method="post" action="/logout"><input type="hidden" name="csrf" value="{{csrf}}"><button id="sign-out">Sign out</button></form></header>{{/user}}
        <main>{{{body}}}</main>
        </body></html>
        """

    static let signIn = """
        <h1>seatd dashboard</h1>
        {{#problem}}<p class="problem" id="problem">{{problem}}</p>{{/problem}}
        <form method="post" action="/login" class="signin">
        <label for="key">Access key</label>
        <input type="password" id="key" name="key" autocomplete="off" required>
        <button id="sign-in">Sign in</button>
        </form>
        <p class="hint">An admin key (<code>seatctl key create --role admin</code>) or a read-only viewer key (<code>--role viewer</code>).</p>
        """

    static let overview = """
        <h1>Licenses</h1>
        <table class="licenses" id="licenses"><thead><tr><th>License</th><th>Tenant</th><th>In use</th><th>Seats</th><th>Use</th><th>State</th><th>Expires</th></tr></thead><tbody>
        {{#licenses}}<tr data-license="{{key}}"><td><a href="{{href}}">{{key}}</a></td><td>{{tenant}}</td><td class="in-use">{{inUse}}</td><td class="seats">{{seats}}</td>
        <td>{{{bar}}}</td><td class="status">{{status}}</td><td class="expires">{{expires}}</td></tr>
        {{/licenses}}{{^licenses}}<tr><td colspan="7">No licenses.</td></tr>{{/licenses}}
        </tbody></table>
        """

    static let license = """
        <h1 id="license-key">{{key}}</h1>
        <p class="facts">Tenant {{tenant}} · <span id="in-use">{{inUse}}</span> of <span id="seats">{{seats}}</span> seats in use · <span id="status">{{status}}</span>{{#expires}} · expires {{expires}}{{/expires}}</p>
        {{#notice}}<p class="notice" id="notice">{{notice}}</p>{{/notice}}
        <h2>Live sessions</h2>
        <table class="sessions" id="sessions"><thead><tr><th>Session</th><th>User</th><th>Host</th><th>Since</th><th>Lease expires</th>{{#mayAct}}<th></th>{{/mayAct}}</tr></thead><tbody>
        {{#sessions}}<tr data-session="{{id}}"><td class="session-id"><code>{{id}}</code></td><td class="user">{{user}}</td><td class="host">{{host}}</td><td>{{since}}</td><td>{{leaseExpires}}</td>
        {{#mayAct}}<td><form method="post" action="{{releaseHref}}"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="session" value="{{id}}"><button class="release">Force release</button></form></td>{{/mayAct}}</tr>
        {{/sessions}}{{^sessions}}<tr><td colspan="6">No live sessions.</td></tr>{{/sessions}}
        </tbody></table>
        <h2>Seats in use against seats</h2>
        <nav class="ranges">{{#ranges}}<a href="{{href}}"{{#selected}} class="selected"{{/selected}}>{{name}}</a>{{/ranges}}</nav>
        <figure id="usage-chart">{{{chart}}}<figcaption>Peak seats in use, {{rangeTitle}} (UTC); the dashed line is the license's seats.</figcaption></figure>
        <h2>Denials by weekday and hour (UTC)</h2>
        <figure id="denial-heatmap">{{{heatmap}}}<figcaption>Refused acquires, {{rangeTitle}}: <span id="denial-total">{{denialTotal}}</span> in all.</figcaption></figure>
        """

    static let reports = """
        <h1>Reports</h1>
        <form method="get" action="/reports" class="report-form">
        <label>Report <select name="report" id="report">{{#kinds}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/kinds}}</select></label>
        <label>By <select name="by" id="by">{{#periods}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/periods}}</select></label>
        <label>From <input type="date" name="from" value="{{from}}"></label>
        <label>To <input type="date" name="to" value="{{to}}"></label>
        <label>License <input type="text" name="license" value="{{license}}"></label>
        <button>Show</button>
        </form>
        {{#problem}}<p class="problem" id="problem">{{problem}}</p>{{/problem}}
        {{#table}}<p>{{range}} · <a id="csv-download" href="{{csvHref}}">Download CSV</a></p>
        <table class="report" id="report-table"><thead><tr>{{#columns}}<th>{{.}}</th>{{/columns}}</tr></thead><tbody>
        {{#rows}}<tr>{{#cells}}<td>{{.}}</td>{{/cells}}</tr>{{/rows}}{{^rows}}<tr><td>No rows.</td></tr>{{/rows}}
        </tbody></table>{{/table}}
        """

    static let message = """
        <h1>{{title}}</h1><p class="problem" id="problem">{{message}}</p><p><a href="/">Back to the licenses</a></p>
        """
}
