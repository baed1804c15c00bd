{# Plugin controls (full screen, measuring) are added once the map has drawn. Their files
   are then fetched together, instead of one after another before the map could start;
   until they arrive the map works without those two buttons. Names the controls declare
   stay on window, as they would be had they been drawn with the map. #}
{% macro script(this, kwargs) %}
(function (map, scripts, styles) {
    function addControls() {
{{ this.parts_script() }}
    }
    function load() {
        styles.forEach(function (href) {
            var link = document.createElement("link");
            link.rel = "stylesheet";
            link.href = href;
            document.head.appendChild(link);
        });
        var waiting = scripts.length, failed = false;
        if (waiting === 0) { addControls(); return; }
        scripts.forEach(function (src) {
            var tag = document.createElement("script");
            tag.src = src;
            // Fetched together, run in this order.
            tag.async = false;
            tag.onload = function () {
                waiting -= 1;
                if (waiting === 0 && !failed) { addControls(); }
            };
            tag.onerror = function () { failed = true; };
            document.head.appendChild(tag);
        });
    }
    map.whenReady(function () { setTimeout(load, 0); });
})({{ this._parent.get_name() }}, {{ this.scripts|js_value }}, {{ this.styles|js_value }});
{% endmacro %}
