# Typed stubs for the parts of the `ocpp` package (2.1) that chargenet uses: the package ships
# no type information. Modules not stubbed here are Any (mypy's ignore_missing_imports).
