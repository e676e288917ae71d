# edged in a container: Debian bookworm, built from this source tree with Debian's packages.
#   docker build -t edgefleet .
#   docker run -p 50051:50051 -v edgefleet-data:/var/lib/edgefleet edgefleet
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/
RUN scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake --preset release && cmake --build --preset release

FROM debian:bookworm
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libspdlog1.10 libmbedcrypto7 libsqlite3-0 libyaml-cpp0.7 \
      libabsl20220623 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/release/daemon/edged /src/build/release/client/edgectl /usr/bin/
COPY deploy/edged.yaml /etc/edgefleet/edged.yaml
VOLUME /var/lib/edgefleet
EXPOSE 50051
# Inside a container the published port must listen on all interfaces.
ENTRYPOINT ["/usr/bin/edged", "--config", "/etc/edgefleet/edged.yaml", \
            "--data-dir", "/var/lib/edgefleet", "--listen", "0.0.0.0:50051"]
