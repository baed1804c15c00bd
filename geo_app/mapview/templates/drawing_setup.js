{# Words for Leaflet.draw's toolbar, set before it is built (escaped by the caller: the
   plugin writes them as HTML); one drawn shape at a time. #}
{% macro script(this, kwargs) %}
(function (texts, group, map) {
    Object.keys(texts).forEach(function (path) {
        var keys = path.split("."), node = L.drawLocal.draw;
        keys.slice(0, -1).forEach(function (key) { node = node[key] = node[key] || {}; });
        node[keys[keys.length - 1]] = texts[path];
    });
    map.on("draw:drawstart", function () { group.clearLayers(); });
})({{ this.texts|js_value }}, {{ this.group.get_name() }}, {{ this._parent.get_name() }});
{% endmacro %}
