# syntax=docker/dockerfile:1
# hutong: a static binary in a distroless, non-root image.
#   docker build -t hutong .
#   docker run -p 8080:8080 -v hutong-data:/data hutong
# Build stage: compile cmd/hutong without cgo so the binary is fully static.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/hutong ./cmd/hutong \
 && mkdir -p /out/data

# Runtime stage: CA certificates (short-link expansion, Taobao Open Platform)
# and tzdata are in distroless/static; no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hutong /usr/local/bin/hutong
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV HUTONG_LISTEN=:8080 \
    HUTONG_DATA=/data \
    HUTONG_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/hutong", "healthcheck", "--url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/hutong"]
CMD ["serve"]
