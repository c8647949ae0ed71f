# ngx_bedrud: build, run and test.
#
#   make run    install what is missing, build (module and web client),
#               start Redis + LiveKit + nginx
#   make test   install what is missing, build, run every test
#   make web    the web client only (web/dist; npm ci + vite build)
#   make bot    bedrud-bot's Python environment (var/bedrud-bot/venv)
#   make fuzz   schemathesis for the schema fuzz run (var/fuzz-api/venv)
#   make bench  join/static benchmark (bench/)
#   make deb    the Debian package libnginx-mod-http-bedrud (build/deb/)

SHELL      := /bin/bash
TOP        := $(CURDIR)
BUILD      := $(TOP)/build
NGX_SRC    ?= /usr/share/nginx/src
NGINX      ?= /usr/sbin/nginx
MODULE     := $(BUILD)/ngx_bedrud_module.so
PORT       ?= 8080
SRCS       := $(wildcard ngx_bedrud_module/*.c ngx_bedrud_module/*.h)
CC_OPT     := -g -O2 -fstack-protector-strong -Wformat \
              -Werror=format-security -fPIC -Wdate-time -D_FORTIFY_SOURCE=2
LD_OPT     := -Wl,-z,relro -Wl,-z,now -fPIC

WEB_SRCS   := $(shell find web/src -type f) web/index.html \
              web/vite.config.ts web/tsconfig.json web/package.json

.PHONY: all build deps run test unit bench clean web bot fuzz deb

all: build

deps:
	@tools/install-deps

build: $(MODULE)

$(BUILD)/objs/Makefile: config
	@mkdir -p $(BUILD)
	cd $(NGX_SRC) && . ./conf_flags && ./configure "$${NGX_CONF_FLAGS[@]}" \
	    --with-cc-opt="$(CC_OPT)" --with-ld-opt="$(LD_OPT)" \
	    --add-dynamic-module=$(TOP) --builddir=$(BUILD)/objs \
	    > $(BUILD)/configure.log 2>&1 \
	    || { tail -20 $(BUILD)/configure.log; exit 1; }

$(MODULE): $(BUILD)/objs/Makefile $(SRCS)
	$(MAKE) -s -f $(BUILD)/objs/Makefile -C $(NGX_SRC) modules
	@# replace atomically: a running nginx keeps its mapping of the old file
	cp $(BUILD)/objs/ngx_http_bedrud_module.so $(MODULE).tmp
	mv -f $(MODULE).tmp $(MODULE)
	@echo "built $(MODULE)"

# npm ci only when the lock file changed; node_modules is never committed
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund

web/dist/index.html: $(WEB_SRCS) web/node_modules/.package-lock.json
	cd web && npm run build

web: web/dist/index.html

# a no-op while var/bedrud-bot/venv matches tools/bedrud-bot/requirements.lock
bot:
	@tools/bedrud-bot/install

# a no-op while var/fuzz-api/venv matches tools/fuzz-api/requirements.lock
fuzz:
	@tools/fuzz-api/install

run: deps build web
	@# Ctrl-C (130) is the normal way to stop it
	@tools/run-dev $(PORT) || [ $$? -eq 130 ]

test: deps build web bot fuzz
	@# the SFU and a Go participant for t/900 (built once, into var/bin)
	@tools/install-livekit all
	@tools/run-tests

unit: build
	$(MAKE) -C t/unit check

bench: deps build
	@bench/run

deb: deps build web
	@tools/make-deb $(BUILD)/deb

clean:
	rm -rf $(BUILD) t/servroot* web/dist
