//! A real SeaweedFS *cluster* for the scale-out tests (issue 13): one `weed
//! master` (default replication `001`: every volume has a copy on a second
//! volume server), three `weed volume` servers and a `weed filer` with its S3
//! gateway, on free loopback ports, data in a temp folder. Started once per test
//! binary that asks (five processes, ~500 MiB), stopped with it: one shell runs
//! them all and stops them when the test process's end of a pipe closes, as
//! `seaweed.rs` does for `weed mini`.

use std::process::{Command, Stdio};

use tokio::sync::OnceCell;

use std::net::TcpListener;

use super::seaweed::{weed_binary, Seaweed, ACCESS_KEY, SECRET_KEY};

/// Volume servers in the cluster.
pub const VOLUME_SERVERS: usize = 3;

static CLUSTER: OnceCell<Seaweed> = OnceCell::const_new();

/// The shared cluster, started (and waited for) on first use. Its S3 gateway is
/// a [`Seaweed`] like any other: `endpoint`, `new_bucket`.
pub async fn cluster() -> &'static Seaweed {
    CLUSTER.get_or_init(start).await
}

async fn start() -> Seaweed {
    let dir = tempfile::tempdir().expect("temp dir for the cluster");
    let root = dir.path();
    let config = root.join("s3.json");
    let identities = format!(
        r#"{{"identities":[{{"name":"skiff","credentials":[{{"accessKey":"{ACCESS_KEY}","secretKey":"{SECRET_KEY}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
    );
    std::fs::write(&config, identities).expect("write s3.json");
    // master http+grpc, each volume http+grpc, filer http+grpc, s3 http+grpc. The
    // gRPC port of each is its HTTP port + 10000, SeaweedFS's convention, which
    // its filer's S3 gateway assumes whatever the flags say.
    let ports = port_pairs(2 + VOLUME_SERVERS + 2);
    // `host:port.grpcPort`: else clients assume the gRPC port is the HTTP one + 10000.
    let master = format!("127.0.0.1:{}.{}", ports[0], ports[1]);
    let common = "-ip=127.0.0.1 -ip.bind=127.0.0.1";
    let mut script = String::from("set -e\n");
    let mut pids = Vec::new();
    let launch = |script: &mut String, pids: &mut Vec<String>, name: &str, args: String| {
        std::fs::create_dir_all(root.join(name)).expect("a data folder");
        script.push_str(&format!(
            "\"$0\" {args} >\"$SKIFF_WEED_DIR/{name}.log\" 2>&1 &\n{name}=$!\n"
        ));
        pids.push(format!("${name}"));
    };
    let mdir = root.join("master");
    launch(
        &mut script,
        &mut pids,
        "master",
        format!(
            "master {common} -port={} -port.grpc={} -mdir={} -defaultReplication=001 \
             -volumeSizeLimitMB=64",
            ports[0],
            ports[1],
            mdir.display()
        ),
    );
    // The others find the master at start and retry slowly (tens of seconds) if it
    // is not leading yet: start them once it answers.
    script.push_str(&format!(
        "until curl -sf http://127.0.0.1:{}/cluster/status >/dev/null; do sleep 0.2; done\n",
        ports[0]
    ));
    for n in 0..VOLUME_SERVERS {
        let name = format!("volume{n}");
        let folder = root.join(&name);
        launch(
            &mut script,
            &mut pids,
            &name,
            format!(
                "volume {common} -port={} -port.grpc={} -dir={} -max=200 -master={master} \
                 -dataCenter=dc1 -rack=rack1",
                ports[2 + 2 * n],
                ports[3 + 2 * n],
                folder.display()
            ),
        );
    }
    let at = 2 + 2 * VOLUME_SERVERS;
    let filer = root.join("filer");
    launch(
        &mut script,
        &mut pids,
        "filer",
        format!(
            "filer {common} -port={} -port.grpc={} -master={master} -defaultStoreDir={} -s3 \
             -s3.port={} -s3.port.grpc={} -s3.config={}",
            ports[at],
            ports[at + 1],
            filer.display(),
            ports[at + 2],
            ports[at + 3],
            config.display()
        ),
    );
    let all = pids.join(" ");
    script.push_str(&format!(
        "set +e\ncat >/dev/null\nkill {all} 2>/dev/null\n\
         (sleep 5; kill -9 {all}) 2>/dev/null &\nwait {all}\nrm -rf \"$SKIFF_WEED_DIR\"\n"
    ));
    // `Seaweed` reports `weed.log` when S3 never answers: the filer's is the one that says why.
    std::fs::write(
        root.join("weed.log"),
        "see filer.log, master.log, volume*.log\n",
    )
    .expect("a log note");
    let child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(weed_binary())
        .env("SKIFF_WEED_DIR", root)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the cluster's shell");
    let endpoint = format!("http://127.0.0.1:{}", ports[at + 2]);
    Seaweed::launched(endpoint, dir, child).await
}

/// `count` pairs of ports free right now, each `p` and `p + 10000`, flattened.
fn port_pairs(count: usize) -> Vec<u16> {
    let mut held: Vec<TcpListener> = Vec::new();
    let mut ports = Vec::new();
    while ports.len() < 2 * count {
        let Ok(first) = TcpListener::bind("127.0.0.1:0") else {
            continue;
        };
        let port = first.local_addr().expect("local addr").port();
        if port >= 55_000 {
            continue;
        }
        if let Ok(second) = TcpListener::bind(("127.0.0.1", port + 10_000)) {
            ports.extend([port, port + 10_000]);
            held.extend([first, second]);
        }
    }
    drop(held);
    ports
}
