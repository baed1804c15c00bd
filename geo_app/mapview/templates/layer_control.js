{# Leaflet's layer switcher, drawn after the map's first frame. The labels arrive escaped
   for HTML (html_text); the values are the layers' variable names. #}
{% from "first_frame.js" import after_first_frame %}
{% macro layers(named) -%}
{
{%- for label, name in named.items() %}
    {{ label|js_value }}: {{ name }},
{%- endfor %}
}
{%- endmacro %}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control.layers(
    {{ layers(this.base_layers) }},
    {{ layers(this.overlays) }},
    {{ this.options|js_value }}
);
{% call after_first_frame() %}
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{%- endcall %}
{% endmacro %}
