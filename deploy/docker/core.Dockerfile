# syntax=docker/dockerfile:1
# The core: one static binary (migrations, mail templates and the web console
# are embedded) on a distroless base with CA certificates and time zones, run
# as an unprivileged user. Build from the repository root:
#
#   docker build -f deploy/docker/core.Dockerfile -t meetline/core .
#
# `core migrate` runs the migrations and exits (the Kubernetes Job does that);
# with no argument it serves on CORE_ADDR.
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first: a code change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# CGO off: a static binary that needs no libc in the final image.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
	CGO_ENABLED=0 go build -buildvcs=false -trimpath -ldflags='-s -w' -o /out/core ./core/cmd/core

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/core /usr/local/bin/core
# The defaults listen on loopback only; in a container, every interface.
ENV CORE_ADDR=0.0.0.0:8080
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/core"]
