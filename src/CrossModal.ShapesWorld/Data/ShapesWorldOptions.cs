using System;
using System.Collections.Generic;
using CrossModal.ShapesWorld.World;

namespace CrossModal.ShapesWorld.Data;

/// <summary>Sizes and seed of a ShapesWorld dataset. Defaults are sized for the ≤ 15-minute experiment on a 2-core machine; <see cref="Quick"/> is small.</summary>
public sealed class ShapesWorldOptions
{
    /// <summary>Seed of everything (scenes, captions, renders).</summary>
    /// <value>1.</value>
    public ulong Seed { get; set; } = 1;

    /// <summary>Side of the rendered images in pixels.</summary>
    /// <value>32.</value>
    public int ImageSize { get; set; } = 32;

    /// <summary>Image–caption pairs for contrastive pretraining.</summary>
    /// <value>20,000.</value>
    public int WebPairs { get; set; } = 20_000;

    /// <summary>Captions of the text-only corpus (no images).</summary>
    /// <value>100,000. A larger corpus holds a caption closer to each scene, which raises what retrieving from it can
    /// score: on the validation scenes of world 1 the best corpus caption chosen by the true scene scores 0.724 / 0.755 /
    /// 0.771 / 0.781 scene F1 at 20,000 / 60,000 / 100,000 / 200,000 captions, and by the true objects alone 0.601 /
    /// 0.621 / 0.643 / 0.643. Past 100,000 the gain is small.</value>
    public int CorpusCaptions { get; set; } = 100_000;

    /// <summary>Pairs of the small paired auxiliary set (about 1 % of the corpus).</summary>
    /// <value>200.</value>
    public int AuxiliaryPairs { get; set; } = 200;

    /// <summary>Photos without captions.</summary>
    /// <value>2,000.</value>
    public int UnpairedPhotos { get; set; } = 2_000;

    /// <summary>Validation scenes (distinct), each a photo with <see cref="ReferencesPerScene"/> captions.</summary>
    /// <value>250.</value>
    public int ValidationScenes { get; set; } = 250;

    /// <summary>Test scenes (distinct), each a photo with <see cref="ReferencesPerScene"/> captions.</summary>
    /// <value>500.</value>
    public int TestScenes { get; set; } = 500;

    /// <summary>Different reference captions per validation and test scene.</summary>
    /// <value>5.</value>
    public int ReferencesPerScene { get; set; } = 5;

    /// <summary>Relative frequency of scenes with 1, 2 and 3 objects.</summary>
    /// <value>0.2, 0.4, 0.4.</value>
    public IReadOnlyList<double> ObjectCountWeights { get; set; } = SceneGenerator.DefaultObjectCountWeights;

    /// <summary>The shapes and colours objects are drawn from (<see cref="ObjectKinds"/>).</summary>
    /// <value><see cref="ObjectKinds.Default"/>: five shapes × five colours. <see cref="ObjectKinds.All"/> gives 7 × 7.</value>
    public ObjectKinds Kinds { get; set; } = ObjectKinds.Default;

    /// <summary>The small preset for quick runs and tests: 2,000 web pairs, 2,000 corpus captions, 20 auxiliary pairs, 200 unpaired photos, 50 validation and 100 test scenes.</summary>
    /// <returns>New options.</returns>
    public static ShapesWorldOptions Quick() => new()
    {
        WebPairs = 2_000,
        CorpusCaptions = 2_000,
        AuxiliaryPairs = 20,
        UnpairedPhotos = 200,
        ValidationScenes = 50,
        TestScenes = 100,
    };

    /// <summary>Checks every value.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        Check(ImageSize is >= 16 and <= 512, nameof(ImageSize), "16 to 512", ImageSize);
        Check(WebPairs >= 0, nameof(WebPairs), "≥ 0", WebPairs);
        Check(CorpusCaptions >= 0, nameof(CorpusCaptions), "≥ 0", CorpusCaptions);
        Check(AuxiliaryPairs >= 0, nameof(AuxiliaryPairs), "≥ 0", AuxiliaryPairs);
        Check(UnpairedPhotos >= 0, nameof(UnpairedPhotos), "≥ 0", UnpairedPhotos);
        Check(ValidationScenes >= 0, nameof(ValidationScenes), "≥ 0", ValidationScenes);
        Check(TestScenes >= 0, nameof(TestScenes), "≥ 0", TestScenes);
        Check(ReferencesPerScene is >= 1 and <= 10, nameof(ReferencesPerScene), "1 to 10", ReferencesPerScene);
        long total = (long)WebPairs + CorpusCaptions + AuxiliaryPairs + UnpairedPhotos + ValidationScenes + TestScenes;
        Check(total is > 0 and <= 5_000_000, "split sizes", "a total of 1 to 5,000,000", total);
        if (Kinds is null)
        {
            throw new ArgumentException("ShapesWorldOptions.Kinds must be set (ObjectKinds.Default or ObjectKinds.All, for example).", nameof(Kinds));
        }

        _ = new SceneGenerator(ObjectCountWeights, Kinds);
    }

    private static void Check(bool ok, string name, string expected, object actual)
    {
        if (!ok)
        {
            throw new ArgumentException($"ShapesWorldOptions.{name} must be {expected} but is {actual}.", name);
        }
    }
}
