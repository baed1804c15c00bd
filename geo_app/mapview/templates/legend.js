{# The legend is a Leaflet control, so it also shows inside the Streamlit component,
   which runs only the page's scripts. Its HTML is rendered and escaped on the server.
   It is added just after the map's first frame: laying out its swatches then does not
   hold the map's first picture back (a frame that is not being drawn gets it after a
   quarter second). #}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control({position: "bottomright"});
{{ this.get_name() }}.onAdd = function () {
    var div = L.DomUtil.create("div", "gm-legend");
    div.innerHTML = {{ this.html|js_value }};
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
};
(function (map, legend) {
    var added = false;
    function add() {
        if (!added) { added = true; legend.addTo(map); }
    }
    window.requestAnimationFrame(function () { setTimeout(add, 0); });
    setTimeout(add, 250);
})({{ this._parent.get_name() }}, {{ this.get_name() }});
{% endmacro %}
