{# Follows the returned-objects list of each run (streamlit-folium keeps it in
   window.__GLOBAL_DATA__); sends the view at once when a panel starts asking for it. #}
{% macro script(this, kwargs) %}
(function (map) {
    window.addEventListener("message", function (event) {
        var data = event.data;
        if (!data || data.type !== "streamlit:render" || !data.args) { return; }
        var wanted = data.args.returned_objects;
        var state = window.__GLOBAL_DATA__;
        if (!state || !Array.isArray(wanted)) { return; }
        var before = state.returned_objects || [];
        var gained = wanted.some(function (name) { return before.indexOf(name) < 0; });
        state.returned_objects = wanted;
        if (gained) { map.fire("moveend"); }
    });
})({{ this._parent.get_name() }});
{% endmacro %}
