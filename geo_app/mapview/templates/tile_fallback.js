{# Online tiles that cannot be fetched (no network, a blocked host, a firewall that drops
   requests) would leave a blank map. After a few failed tiles, or when requested tiles
   neither load nor fail for a while, the offline backdrop is drawn beneath the layers and
   a notice says so, once. The tile layers stay: tiles that do arrive are still shown. #}
{% macro script(this, kwargs) %}
(function (map, tiles, backdrop) {
    var errors = 0, loaded = 0, done = false;
    var notice = L.DomUtil.create("div", "gm-notice", map.getContainer());
    notice.setAttribute("role", "status");
    notice.style.display = "none";
    notice.textContent = {{ this.text|js_value }};
    function fallBack() {
        if (done) { return; }
        done = true;
        map.getContainer().style.background = {{ this.background|js_value }};
        if (backdrop && !map.hasLayer(backdrop)) { backdrop.addTo(map); }
        notice.style.display = "";
    }
    tiles.forEach(function (layer) {
        layer.on("tileload", function () { loaded += 1; });
        layer.on("tileerror", function () {
            errors += 1;
            if (errors >= {{ this.max_errors|js_value }} && errors > loaded) { fallBack(); }
        });
    });
    setTimeout(function () {
        var waiting = tiles.some(function (layer) { return layer.isLoading(); });
        if (loaded === 0 && (waiting || errors > 0)) { fallBack(); }
    }, {{ this.silence_ms|js_value }});
})({{ this._parent.get_name() }},
   [{% for layer in this.tile_layers %}{{ layer.get_name() }}{% if not loop.last %}, {% endif %}{% endfor %}],
   {{ this.backdrop.get_name() if this.backdrop else "null" }});
{% endmacro %}
