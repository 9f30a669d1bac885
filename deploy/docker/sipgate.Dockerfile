# syntax=docker/dockerfile:1
# sipgate: one static binary (the voice prompts are embedded) on a distroless
# base, run as an unprivileged user. Build from the repository root:
#
#   docker build -f deploy/docker/sipgate.Dockerfile -t meetline/sipgate .
#
# SIP listens on 5060 (UDP and TCP), /healthz and /metrics on 8081. RTP needs
# SIPGATE_RTP_IP, an address callers reach that sipgate can bind: run it with
# host networking (compose, Kubernetes hostNetwork), where that is the host's.
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
	CGO_ENABLED=0 go build -buildvcs=false -trimpath -ldflags='-s -w' -o /out/sipgate ./sipgate/cmd/sipgate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sipgate /usr/local/bin/sipgate
ENV SIPGATE_SIP_ADDR=0.0.0.0:5060 SIPGATE_HTTP_ADDR=0.0.0.0:8081
EXPOSE 5060/udp 5060/tcp 8081
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/sipgate"]
