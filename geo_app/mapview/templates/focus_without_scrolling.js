{# Leaflet focuses the map on the first mouse press and undoes the scroll of its own window
   only. Inside the page's frame the page itself then jumps when the map is partly out of
   view, and the click lands tens of pixels away from where it was aimed. #}
{% macro script(this, kwargs) %}
(function (keyboard) {
    if (!keyboard) { return; }
    keyboard.disable();
    keyboard._onMouseDown = function () {
        if (!this._focused) { this._map.getContainer().focus({preventScroll: true}); }
    };
    keyboard.enable();
})({{ this._parent.get_name() }}.keyboard);
{% endmacro %}
