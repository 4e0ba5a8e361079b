// The functions the wasm modules import from the page, declared for Emscripten's linker (which
// otherwise refuses an undefined symbol). With -sSTANDALONE_WASM no JavaScript is emitted from
// here: web/latentlab.js supplies the real ones when it instantiates a module (moduleImports).
mergeInto(LibraryManager.library, {
  // core/src/io/metadata.cpp: the nearest double to the plain decimal of len bytes at ptr.
  ll_parse_decimal: function (ptr, len) {},
});
