{# The legend is a Leaflet control, so it also shows inside the Streamlit component,
   which runs only the page's scripts. Its HTML is rendered and escaped on the server. #}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control({position: "bottomright"});
{{ this.get_name() }}.onAdd = function () {
    var div = L.DomUtil.create("div", "gm-legend");
    div.innerHTML = {{ this.html|js_value }};
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
};
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}
