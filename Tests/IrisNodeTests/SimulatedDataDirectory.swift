import IrisLog

/// A simulated disk with the durable directory `/data`.
func diskWithDataDirectory() -> SimulatedDisk {
    let disk = SimulatedDisk()
    disk.createDurableDirectory("/data")
    return disk
}
