{# Metric only: folium's own scale bar also shows miles. Drawn after the map's first
   frame, like the other controls. #}
{% from "first_frame.js" import after_first_frame %}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control.scale({imperial: false, maxWidth: 150});
{% call after_first_frame() %}
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{%- endcall %}
{% endmacro %}
