/// A detection rule for Windows file-unpacking tools that make outbound network connections to public addresses.
let unpackerRuleQuery = """
    sequence by process.entity_id
      [process where (process.name : "expand.exe" or process.name : "extrac32.exe" or
                     process.name : "ieexec.exe" or process.name : "makecab.exe") and
                     event.type == "start"]
      [network where (process.name : "expand.exe" or process.name : "extrac32.exe" or
                     process.name : "ieexec.exe" or process.name : "makecab.exe") and
        not cidrmatch(destination.ip,
          "10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.0.0/29",
          "192.0.0.8/32", "192.0.0.9/32", "192.0.0.10/32", "192.0.0.170/32", "192.0.0.171/32", "192.0.2.0/24",
          "192.31.196.0/24", "192.52.193.0/24", "192.168.0.0/16", "192.88.99.0/24", "224.0.0.0/4",
          "100.64.0.0/10", "192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
          "240.0.0.0/4", "::1", "FE80::/10", "FF00::/8")]
    """
