import sharp from "sharp";

/**
 * Photos as a field crew's phone takes them, for the simulators: small JPEGs of different
 * colours, each carrying GPS position and camera make and serial in its EXIF (what Silta must
 * strip). Made once, on demand.
 */
let made: Promise<Uint8Array[]> | undefined;

export function samplePhotos(count = 12): Promise<Uint8Array[]> {
  made ??= Promise.all(
    Array.from(
      { length: count },
      async (_, i) =>
        new Uint8Array(
          await sharp({
            create: { width: 96, height: 72, channels: 3, background: { r: (i * 47) % 256, g: 110, b: (i * 91) % 256 } },
          })
            .withExif({
              IFD0: { Make: "FieldPhone", Model: `Crew-${i}` },
              IFD3: {
                GPSLatitudeRef: "N",
                GPSLatitude: `60/1 ${10 + i}/1 0/1`,
                GPSLongitudeRef: "E",
                GPSLongitude: "24/1 56/1 0/1",
              },
            })
            .jpeg()
            .toBuffer(),
        ),
    ),
  );
  return made;
}
