{# A PMTiles archive the page carries itself, for a page that opens from disk with no
   server to read ranges of a file from (the HTML export of a big workspace). The archive is
   a base64 text in a data block the browser never runs; geoAppPageArchive(id) decodes it
   once, into memory, and reads it through the pmtiles library's PMTiles with a source
   that answers each range from that memory (parcel_tiles.js: a url "#id"). The block's
   text is let go once decoded: the page keeps one copy of the archive, not two. #}
{% macro header(this, kwargs) %}
<script>
var geoAppPageArchive = geoAppPageArchive || (function () {
    var opened = {};
    function bytesOf(text) {
        if (typeof Uint8Array.fromBase64 === "function") { return Uint8Array.fromBase64(text); }
        var binary = atob(text);
        var bytes = new Uint8Array(binary.length);
        for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
        return bytes;
    }
    return function (id) {
        if (Object.prototype.hasOwnProperty.call(opened, id)) { return opened[id]; }
        var block = document.getElementById(id);
        if (!block || typeof pmtiles === "undefined") { return null; }
        var bytes = bytesOf(block.textContent.trim());
        block.textContent = "";
        var source = {
            getKey: function () { return id; },
            getBytes: function (offset, length) {
                var end = Math.min(offset + length, bytes.byteLength);
                return Promise.resolve({data: bytes.buffer.slice(offset, end)});
            }
        };
        opened[id] = new pmtiles.PMTiles(source);
        return opened[id];
    };
})();
</script>
{% endmacro %}
{% macro html(this, kwargs) %}
<script type="application/octet-stream" id="{{ this.element_id }}">{{ this.data }}</script>
{% endmacro %}
