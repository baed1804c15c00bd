{# The legend is a Leaflet control, so it also shows inside the Streamlit component,
   which runs only the page's scripts. Its HTML is rendered and escaped on the server.
   Laying out its swatches waits for the map's first frame. #}
{% from "first_frame.js" import after_first_frame %}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control({position: "bottomright"});
{{ this.get_name() }}.onAdd = function () {
    var div = L.DomUtil.create("div", "gm-legend");
    div.innerHTML = {{ this.html|js_value }};
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
};
{% call after_first_frame() %}
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{%- endcall %}
{% endmacro %}
